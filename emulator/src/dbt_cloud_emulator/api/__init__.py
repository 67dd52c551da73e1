"""The dbt Cloud wire: routes, envelopes, serializers, pagination, auth and errors."""
