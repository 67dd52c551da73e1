# Astro Runtime 3.3-2: Airflow 3.3.2 with Astronomer's preinstalled providers (pinned tag, not a moving one).
# requirements.txt and packages.txt are installed by the image's ONBUILD steps.
FROM astrocrpublic.azurecr.io/runtime:3.3-2
