import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The two calls of statehousectl that @statehouse/client has no method for, made as the official
 * statehousectl makes them: `grpc.health.v1.Health/Check` (open without a token; SERVING while the
 * server reaches its Redis) and `statehouse.v1.StatehouseService/Version` (and its `Health`, for
 * a server without grpc.health.v1). Their messages, from the published .protos, are declared here
 * rather than loaded from files: four fields that never change.
 */
const DESCRIPTOR = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: {
                    ServingStatus: {
                      values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 },
                    },
                  },
                },
                Health: {
                  methods: {
                    Check: {
                      requestType: 'HealthCheckRequest',
                      responseType: 'HealthCheckResponse',
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    statehouse: {
      nested: {
        v1: {
          nested: {
            HealthRequest: { fields: {} },
            HealthResponse: { fields: { status: { type: 'string', id: 1 } } },
            VersionRequest: { fields: {} },
            VersionResponse: {
              fields: { version: { type: 'string', id: 1 }, git_sha: { type: 'string', id: 2 } },
            },
            StatehouseService: {
              methods: {
                Health: { requestType: 'HealthRequest', responseType: 'HealthResponse' },
                Version: { requestType: 'VersionRequest', responseType: 'VersionResponse' },
              },
            },
          },
        },
      },
    },
  },
};

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;
type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: Callback<Res>,
) => grpc.ClientUnaryCall;

interface HealthClient extends grpc.Client {
  Check: Unary<{ service: string }, { status?: string }>;
}
interface V1Client extends grpc.Client {
  Health: Unary<object, { status?: string }>;
  Version: Unary<object, { version?: string; git_sha?: string }>;
}

interface Root {
  grpc: {
    health: {
      v1: { Health: new (address: string, creds: grpc.ChannelCredentials) => HealthClient };
    };
  };
  statehouse: {
    v1: { StatehouseService: new (address: string, creds: grpc.ChannelCredentials) => V1Client };
  };
}

export interface ServerHealth {
  /** SERVING, NOT_SERVING, ... (grpc.health.v1; a server without it: from its own Health). */
  readonly status: string;
  readonly serving: boolean;
}

/** Health and Version of the server at `address`; each call fails with the grpc ServiceError. */
export class ServerProbe {
  private readonly health: HealthClient;
  private readonly v1: V1Client;

  constructor(
    address: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
  ) {
    const definition = protoLoader.fromJSON(
      DESCRIPTOR as Parameters<typeof protoLoader.fromJSON>[0],
      {
        keepCase: true,
        enums: String,
      },
    );
    const root = grpc.loadPackageDefinition(definition) as unknown as Root;
    const insecure = grpc.credentials.createInsecure();
    this.health = new root.grpc.health.v1.Health(address, insecure);
    this.v1 = new root.statehouse.v1.StatehouseService(address, insecure);
  }

  async check(): Promise<ServerHealth> {
    try {
      const { status = 'UNKNOWN' } = await this.call(this.health, this.health.Check, {
        service: '',
      });
      return { status, serving: status === 'SERVING' };
    } catch (error) {
      // The official daemon has no grpc.health.v1: its own Health RPC says "ok".
      if ((error as grpc.ServiceError).code !== grpc.status.UNIMPLEMENTED) throw error;
      const { status = '' } = await this.call(this.v1, this.v1.Health, {});
      const serving = status === 'ok';
      return { status: serving ? 'SERVING' : 'NOT_SERVING', serving };
    }
  }

  async version(): Promise<{ version: string; gitSha: string }> {
    const answer = await this.call(this.v1, this.v1.Version, {});
    return { version: answer.version ?? '', gitSha: answer.git_sha ?? '' };
  }

  close(): void {
    this.health.close();
    this.v1.close();
  }

  private call<Req, Res>(client: grpc.Client, method: Unary<Req, Res>, request: Req): Promise<Res> {
    const metadata = new grpc.Metadata();
    if (this.token) metadata.set('authorization', `Bearer ${this.token}`);
    return new Promise((resolve, reject) => {
      method.call(
        client,
        request,
        metadata,
        { deadline: Date.now() + this.timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response!)),
      );
    });
  }
}
