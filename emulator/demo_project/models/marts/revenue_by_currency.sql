-- Daily revenue converted with the late-arriving FX rates.
select
    revenue.order_date,
    rates.currency,
    revenue.revenue as revenue_usd,
    round(revenue.revenue / rates.usd_per_unit, 2) as revenue_local
from {{ ref('daily_revenue') }} as revenue
cross join {{ ref('stg_fx_rates') }} as rates
