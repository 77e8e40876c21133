"""A slow reader of the SDK's replay (it iterates the Replay stream as the SDK does).

Usage: slow_replay.py <stubs dir> <host:port> <namespace> <agent id>
Prints "first" after the first event, then reads one event every 50 ms, and at the end prints one
JSON object: how many events it read and the error that ended the iteration, if any.
"""
import json
import sys
import time

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from statehouse.v1 import statehouse_pb2 as pb  # noqa: E402
from statehouse.v1 import statehouse_pb2_grpc as rpc  # noqa: E402

# Without BDP probing the stream's flow-control window stays at 64 KiB, so the server cannot push
# the whole history into this process' buffers ahead of the slow reads: the stream is still being
# written when the server shuts down, whatever the timing.
channel = grpc.insecure_channel(sys.argv[2], options=[("grpc.http2.bdp_probe", 0)])
stub = rpc.StatehouseServiceStub(channel)
events = 0
error = None
try:
    for event in stub.Replay(pb.ReplayRequest(namespace=sys.argv[3], agent_id=sys.argv[4])):
        events += 1
        if events == 1:
            print("first", flush=True)
        time.sleep(0.05)
except grpc.RpcError as e:
    error = f"{e.code().name}: {e.details()}"
print(json.dumps({"events": events, "error": error}), flush=True)
