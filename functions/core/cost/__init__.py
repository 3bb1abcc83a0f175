"""What a job costs: one dated price table (prices.py), what each invocation and the execution used
(metering.py, storage.py), the priced report (report.py), and the estimate made before any work (estimate.py,
from the measured speeds in rates.py)."""
