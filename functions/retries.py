"""Retry options of the orchestrations' activity calls, one definition for every blueprint.

Blob and database hiccups are retried by the host; provider calls are not (shared.retry already
retried them, and a content-filter refusal must not be repeated).
"""

import azure.durable_functions as df

INFRA_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)
