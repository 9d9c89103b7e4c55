"""nightly_rollup: every night, yesterday's partition through every layer (its ISO week is rewritten too,
so on Monday night the closed week's summary is final)."""

from datetime import timedelta

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from ccp_assets.jobs import DAILY_JOB_NAME
from ccp_assets.partitions import DAILY  # the zone of the partitions: configuration is read once, there


@schedule(
    name="nightly_rollup",
    cron_schedule="0 2 * * *",
    job_name=DAILY_JOB_NAME,
    execution_timezone=DAILY.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="02:00 in CCP_TIMEZONE: yesterday's partition through raw → normalized → measurements → rollups.",
)
def nightly_rollup(context: ScheduleEvaluationContext) -> RunRequest:
    yesterday = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return RunRequest(run_key=f"nightly:{yesterday}", partition_key=yesterday,
                      tags={"ccp/launched_by": "nightly_rollup"})
