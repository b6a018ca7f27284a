"""The engine: a live run or a replay, the sources it polls, the frames it assembles, headless output."""
