-- The ELT result that downstream consumers read: written as CSV to
-- $WAREHOUSE_DIR/exports/landed_daily_revenue.csv (plus a view over that file).
{{ config(
    materialized='external',
    location=env_var('WAREHOUSE_DIR') ~ '/exports/landed_daily_revenue.csv',
    format='csv'
) }}

select
    order_date,
    count(*) as order_count,
    sum(amount) as revenue,
    max(landed_at) as last_landed_at
from {{ ref('stg_landed_orders') }}
group by order_date
order by order_date
