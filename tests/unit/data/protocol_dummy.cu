// Placeholder source for tests/unit/data/protocol.yaml: the protocol's unit
// tests run these claims on the host test double (tests/unit/host_backend.c),
// which looks entries up by name and never compiles this file.
