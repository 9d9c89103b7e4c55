"""Sensors that start runs by themselves: new source bytes, uploads (outbox and fresh rollups), license state."""

from collections.abc import Callable
from typing import Any

from dagster import DefaultSensorStatus, SensorDefinition, sensor


def every_minute(name: str, description: str, **target: Any) -> Callable[..., SensorDefinition]:
    """`@sensor` as every ccp sensor is declared: on by default, evaluated once a minute; `target` names
    the job (`job=` or `job_name=`)."""
    return sensor(name=name, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
                  description=description, **target)
