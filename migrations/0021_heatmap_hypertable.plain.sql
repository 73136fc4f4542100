-- Plain PostgreSQL: heatmap clicks stay an ordinary table; the retention job trims it.
select 1;
