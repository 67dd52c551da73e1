-- Order files landed by the Airflow ELT DAG: one CSV per delivery in
-- $WAREHOUSE_DIR/landing/orders/ (format in README.md). A table, so the build
-- keeps what had landed at that moment even if new files arrive meanwhile.
{{ config(materialized='table') }}

with landed as (
    select *
    from read_csv(
        '{{ env_var("WAREHOUSE_DIR") }}/landing/orders/*.csv',
        header = true,
        delim = ',',
        columns = {
            'order_id': 'INTEGER',
            'customer_id': 'INTEGER',
            'order_date': 'DATE',
            'amount': 'DECIMAL(10, 2)',
            'landed_at': 'TIMESTAMPTZ'
        },
        filename = true,
        -- Sniff each file on its own: a multi-file read otherwise applies the first file's
        -- dialect to all, and silently drops the rows of a file with other line endings (\r\n).
        union_by_name = true
    )
)

select
    order_id,
    customer_id,
    order_date,
    amount,
    -- an instant (any ISO 8601 offset) stored as UTC wall time
    timezone('UTC', landed_at) as landed_at,
    filename as landed_file
from landed
-- an order delivered again (a re-run of the landing task) keeps its latest version
qualify row_number() over (
    partition by order_id order by landed_at desc, filename desc
) = 1
