"""The one model: `SummitModel` (the state and the week's recipe), one module per stage of the
week (events, assessment, signals, influence, decision, negotiation, strain), the pure rules, the
seeding contract, the Mesa agents, and the outcome columns with their scenario-derived names."""
