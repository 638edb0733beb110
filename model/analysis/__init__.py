"""Analyses of finished batches: comparisons, sensitivity indices, scenario discovery (conditions
and PRIM), plots, and one run explained week by week."""
