"""A local stand-in for the dbt Cloud Administrative API that runs a real dbt project."""
