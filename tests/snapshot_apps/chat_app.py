"""The chat as the snapshot tests see it: a fixed SLEUTH_HOME (the header shows it) and no model."""

from pathlib import Path

from dspy.utils.dummies import DummyLM

from sleuth.agent.api import ResearchAgent
from sleuth.settings import Settings
from sleuth.tui.app import SleuthApp

app = SleuthApp(ResearchAgent(Settings(home=Path("/tmp/sleuth-snapshot")), lm=DummyLM([])))

if __name__ == "__main__":
    app.run()
