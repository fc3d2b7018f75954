"""The Durable Task engine: orchestrations replayed through the real azure-functions-durable SDK.

Model (the wire facts are in docs/durable-protocol.md):
- an instance has a history (events already played) and an inbox (events not yet delivered:
  ExecutionStarted, TaskCompleted/Failed, TimerFired (visible at its fire time), EventRaised,
  SubOrchestrationInstanceCompleted/Failed);
- an episode delivers ready inbox events after a new OrchestratorStarted, calls the orchestrator's
  `handle` with the context JSON, and turns the new actions it returns into history events, work
  (activities), timers and child instances, all written in one transaction before acting;
- the SDK numbers tasks by a counter it rebuilds on every replay, so devhost mirrors it: new
  actions take ids in the order they appear in the flattened cumulative action list, after any id
  the SDK took for a retry (timer after a failed attempt, the rescheduled attempt after the timer).
  An event that drives a retry is delivered alone in its episode; other completions that are
  already available are delivered together (a fan-out completes in few episodes).

Modules, by concern: protocol (event and action types, events), state (an instance in memory,
which inbox events make the next episode), replay (the context JSON and the SDK call), planner (an
episode's result, computed without side effects), writes (the SQL for it), activities (running
activity functions), waiters (callers waiting for an instance to finish), engine (scheduling, client
operations, commit and adoption), status (the status and history JSON the HTTP API answers).
"""
