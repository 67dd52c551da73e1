-- Late-arriving FX rates, landed in $WAREHOUSE_DIR/landing/fx_rates/
-- (see macros/fx_rates_location.sql for the on-purpose failure).
{{ config(materialized='table') }}

select
    currency,
    usd_per_unit
from read_csv(
    '{{ fx_rates_location() }}',
    header = true,
    columns = {'currency': 'VARCHAR', 'usd_per_unit': 'DECIMAL(12, 4)'}
)
