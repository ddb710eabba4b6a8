"""Reports: what became of the messages sent: delivery results, opt-outs, campaign reports and "why"."""
