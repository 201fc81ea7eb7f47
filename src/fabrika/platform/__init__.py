"""`fabrika up`: the processes of the platform, their instances and supervision."""
