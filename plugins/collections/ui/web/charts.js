// Placeholder: the charts of the Collections pages (Apache ECharts).
export {};
