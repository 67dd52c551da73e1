select
    id as payment_id,
    order_id,
    payment_method,
    -- the source keeps cents; everything downstream works in dollars
    cast(amount / 100.0 as decimal(10, 2)) as amount
from {{ ref('raw_payments') }}
