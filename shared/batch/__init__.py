"""Batch generation from a shot list dropped into batch-in.

    names     the orchestrations, the blobs in batch-in/batch-out and the instance ids
    shotlist  reading a .jsonl/.csv file into numbered raw lines (whole-file limits)
    lines     each line validated with the API's rules; line statuses; the job of a dropped file
    results   failed/completed rows, results.jsonl and summary.json (pure)
    status    customStatus and the body of GET /api/batches/{name}
    blobs     the blob I/O of the trigger, the activities and the HTTP endpoints (owner checks;
              no line completed without its files)
    quota     each line reserves a place in its owner's quota before it starts
"""
