"""Alert rules: evaluation with for/clear, breach tracking, actions, capacity ceiling and the defaults."""
