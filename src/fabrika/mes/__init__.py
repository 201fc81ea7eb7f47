"""MES: the catalog, 3D-model geometry, quotes, production capacity and jobs."""
