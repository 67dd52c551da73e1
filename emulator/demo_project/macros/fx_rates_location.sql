{% macro fx_rates_location() %}
  {#- The FX rates delivery arrives late. DEMO_LATE_DATA_LANDED=false (the emulator's
      "late data has not landed yet" state) points at the folder of a delivery that has
      not landed, so DuckDB raises a real "No files found that match the pattern" error. -#}
  {%- set landing_dir = env_var('WAREHOUSE_DIR') ~ '/landing' -%}
  {%- set landed = env_var('DEMO_LATE_DATA_LANDED', 'true') | trim | lower -%}
  {%- if landed == 'true' -%}
    {{ landing_dir }}/fx_rates/*.csv
  {%- elif landed == 'false' -%}
    {{ landing_dir }}/fx_rates_not_landed_yet/*.csv
  {%- else -%}
    {{ exceptions.raise_compiler_error(
        "DEMO_LATE_DATA_LANDED must be 'true' or 'false' (or unset, meaning true), got '"
        ~ landed ~ "'. Fix the value in the run's environment.") }}
  {%- endif -%}
{% endmacro %}
