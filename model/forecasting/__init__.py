"""The negotiation-forecasting tool: bargaining rules on any actor table (`summit forecast`) and
their backtest on real EU negotiations (`summit backtest`, DEU III)."""
