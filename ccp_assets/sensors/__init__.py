"""Sensors that start runs by themselves: uploads (outbox and fresh rollups) and license state."""
