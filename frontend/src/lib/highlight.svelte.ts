// The panel a lesson asks the user to watch: PanelFrame outlines the panel whose test id this holds.
export const highlight = $state({ testid: '' });
