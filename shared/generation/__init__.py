"""One generation: request validation, the typed jobs between activities, the steps and the output."""
