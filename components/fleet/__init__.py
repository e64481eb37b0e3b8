"""Fleet operations: run the organization program over many stacks at once.

The `ssoprov` command (components/cli.py) is built from these small modules, each usable on its own:

    project     the Pulumi project on disk: where Pulumi.yaml and the stack files are
    selection   which stacks a run covers: names and globs, changed since a git revision, a shard
    engine      the backend and secrets provider every stack of a run shares
    runner      one worker per stack, bounded parallelism, a failure stays in its stack
    operations  what a worker does to one stack: preview, up, drift check, state read
    progress    one live line per stack on a terminal, plain lines in CI logs
    report      per-stack outcomes, the summary table and the JSON report
    secrets     client-secret expiry and rotation due dates, read from state and the specs
    scaffold    a new organization's stack file from command-line flags
"""
