"""What the Statehouse Python SDK does, over stubs generated from our .proto with Debian's protoc.

Usage: sdk_client.py <stubs dir> <host:port> <namespace>
Runs the SDK's flow (health, begin, write, delete, commit, get_state, list_keys, scan_prefix,
replay with inclusive bounds, errors as status text) and prints one JSON object with what it saw.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from google.protobuf import json_format, struct_pb2  # noqa: E402
from statehouse.v1 import statehouse_pb2 as pb  # noqa: E402
from statehouse.v1 import statehouse_pb2_grpc as rpc  # noqa: E402


class TransactionError(Exception):
    pass


class Statehouse:
    """The SDK's surface: Statehouse(url, namespace), transactions, reads, replay."""

    def __init__(self, url, namespace="default"):
        self.channel = grpc.insecure_channel(url)
        self.stub = rpc.StatehouseServiceStub(self.channel)
        self.namespace = namespace

    def _call(self, method, request):
        try:
            return getattr(self.stub, method)(request)
        except grpc.RpcError as error:  # the SDK surfaces the status text
            raise TransactionError(f"{error.code().name}: {error.details()}") from None

    def health(self):
        return self._call("Health", pb.HealthRequest()).status

    def begin_transaction(self, timeout_ms=None):
        request = pb.BeginTransactionRequest()
        if timeout_ms is not None:
            request.timeout_ms = timeout_ms
        return self._call("BeginTransaction", request).txn_id

    def write(self, txn_id, agent_id, key, value):
        struct = struct_pb2.Struct()
        struct.update(value)
        self._call("Write", pb.WriteRequest(txn_id=txn_id, namespace=self.namespace,
                                            agent_id=agent_id, key=key, value=struct))

    def delete(self, txn_id, agent_id, key):
        self._call("Delete", pb.DeleteRequest(txn_id=txn_id, namespace=self.namespace,
                                              agent_id=agent_id, key=key))

    def commit(self, txn_id):
        return self._call("Commit", pb.CommitRequest(txn_id=txn_id)).commit_ts

    def abort(self, txn_id):
        self._call("Abort", pb.AbortRequest(txn_id=txn_id))

    def get_state(self, agent_id, key):
        response = self._call("GetState", pb.GetStateRequest(namespace=self.namespace,
                                                             agent_id=agent_id, key=key))
        value = json_format.MessageToDict(response.value) if response.HasField("value") else None
        return {"exists": response.exists, "value": value, "version": response.version,
                "commit_ts": response.commit_ts}

    def list_keys(self, agent_id):
        return list(self._call("ListKeys", pb.ListKeysRequest(namespace=self.namespace,
                                                              agent_id=agent_id)).keys)

    def scan_prefix(self, agent_id, prefix):
        response = self._call("ScanPrefix", pb.ScanPrefixRequest(
            namespace=self.namespace, agent_id=agent_id, prefix=prefix))
        return [{"key": e.key, "value": json_format.MessageToDict(e.value),
                 "version": e.version, "commit_ts": e.commit_ts} for e in response.entries]

    def replay(self, agent_id, start_ts=None, end_ts=None):
        request = pb.ReplayRequest(namespace=self.namespace, agent_id=agent_id)
        if start_ts is not None:
            request.start_ts = start_ts
        if end_ts is not None:
            request.end_ts = end_ts
        for event in self.stub.Replay(request):
            yield {
                "txn_id": event.txn_id,
                "commit_ts": event.commit_ts,
                "operations": [{
                    "key": op.key,
                    "value": json_format.MessageToDict(op.value) if op.HasField("value") else None,
                    "version": op.version,
                } for op in event.operations],
            }


def main():
    client = Statehouse(sys.argv[2], namespace=sys.argv[3])
    seen = {"health": client.health()}

    txn = client.begin_transaction(timeout_ms=5000)
    client.write(txn, "my-agent", "memory", {"fact": "Some information", "count": 3})
    seen["commit1"] = client.commit(txn)

    txn = client.begin_transaction()
    client.write(txn, "my-agent", "step:1", {"n": 1})
    client.write(txn, "my-agent", "step:2", {"n": 2})
    client.write(txn, "my-agent", "temp:scratch", {"x": True})
    seen["commit2"] = client.commit(txn)

    txn = client.begin_transaction()
    client.delete(txn, "my-agent", "temp:scratch")
    seen["commit3"] = client.commit(txn)

    try:
        client.commit(txn)
    except TransactionError as error:
        seen["commit_again"] = str(error)

    txn = client.begin_transaction(timeout_ms=1)
    import time
    time.sleep(0.05)
    try:
        client.write(txn, "my-agent", "late", {"x": 1})
    except TransactionError as error:
        seen["late_write"] = str(error)

    seen["memory"] = client.get_state("my-agent", "memory")
    seen["missing"] = client.get_state("my-agent", "nothing-here")
    seen["keys"] = client.list_keys("my-agent")
    seen["steps"] = client.scan_prefix("my-agent", "step:")
    seen["replay_all"] = [e["commit_ts"] for e in client.replay("my-agent")]
    seen["replay_2_3"] = list(client.replay("my-agent", start_ts=2, end_ts=3))
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
