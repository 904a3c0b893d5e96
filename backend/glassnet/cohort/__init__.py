"""Cohorts: K copies of one small architecture trained together as one batched model."""
