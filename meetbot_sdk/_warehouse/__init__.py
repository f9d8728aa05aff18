"""The warehouse: the dlt source's resources (``meetbot_sdk.dlt``) and the pipeline runs of
``meetbot load`` (the ``dlt`` extra)."""
