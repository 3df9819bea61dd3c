select portfolio, figures from collections.portfolio_day where as_of = %(as_of)s order by portfolio;
