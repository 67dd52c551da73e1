-- Order pipeline health, refreshed by the hourly job.
select
    orders.status,
    count(distinct orders.order_id) as order_count,
    coalesce(sum(payments.amount), 0) as amount,
    current_timestamp as refreshed_at
from {{ ref('stg_orders') }} as orders
left join {{ ref('stg_payments') }} as payments using (order_id)
group by orders.status
