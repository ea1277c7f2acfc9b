// Connections closed by the broker itself, through `rabbitmqctl`, as `rabbitmqctl close_connection` or a
// management UI would: the client gets connection.close 320 CONNECTION_FORCED. (Stopping the whole
// application is done on a private node: private-broker.ts.)
//
// `rabbitmqctl` takes about half a second to start, too slow to close connections every 500 ms, so the
// closing loop runs inside the broker: one `eval` spawns an Erlang process there that closes, every
// interval, each connection whose client-provided name starts with a prefix (only this test's
// connections: tests of other people on the same broker are left alone), until its deadline or `stop()`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 120_000 });
  return stdout.trim();
}

function erlangBinary(text: string): string {
  if (!/^[\w.-]+$/.test(text)) throw new Error(`broker-faults: unsafe name ${JSON.stringify(text)}`);
  return `<<"${text}">>`;
}

export interface ConnectionCloser {
  /** Stops the loop in the broker (it also stops by itself at its deadline). */
  stop(): Promise<void>;
}

/**
 * Closes every connection named `<prefix>…` each `intervalMs`, for at most `maxDurationMs`.
 * Resolves once the loop runs in the broker.
 */
export async function closeConnectionsEvery(
  prefix: string,
  intervalMs: number,
  maxDurationMs: number,
): Promise<ConnectionCloser> {
  const name = `tidings_closer_${prefix.replace(/\W/g, '_')}`;
  const expression = `
    Prefix = ${erlangBinary(prefix)},
    Until = erlang:monotonic_time(millisecond) + ${Math.trunc(maxDurationMs)},
    Named = fun(Pid) ->
      try rabbit_networking:connection_info(Pid, [client_properties]) of
        [{client_properties, Props}] ->
          case lists:keyfind(<<"connection_name">>, 1, Props) of
            {_, longstr, Name} -> binary:longest_common_prefix([Name, Prefix]) =:= byte_size(Prefix);
            _ -> false
          end;
        _ -> false
      catch _:_ -> false
      end
    end,
    Loop = fun Loop() ->
      case erlang:monotonic_time(millisecond) < Until of
        false -> ok;
        true ->
          [catch rabbit_networking:close_connection(Pid, "tidings reliability test: closed by the broker")
            || Pid <- rabbit_networking:connections(), Named(Pid)],
          receive stop -> ok after ${Math.trunc(intervalMs)} -> Loop() end
      end
    end,
    Pid = spawn(Loop),
    register(${name}, Pid),
    ok.`;
  await rabbitmqctl('eval', expression);
  return {
    async stop() {
      await rabbitmqctl('eval', `case whereis(${name}) of undefined -> ok; Pid -> Pid ! stop, ok end.`);
    },
  };
}
