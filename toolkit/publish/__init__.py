"""Stage 3, what is published beside the reports: PDF copies, the reviewer's HTML of an
executed notebook, a year's index page and the 汇总表 (summary table of every bureau).
"""
