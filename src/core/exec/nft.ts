/**
 * nft ops: all of a plan's run as one `nft -f -` transaction. In the binary,
 * a transaction that is only set elements (an endpoint's spoof-check keys) is
 * sent as one nf_tables netlink batch instead (exec/netlink/nftables.ts): the
 * same work, as atomic, with nft's error line; CNM_NETLINK=0 keeps `nft -f`.
 * When the DNS server runs, it sends the batch for us on its long-lived
 * socket (exec/control-socket.ts), so this process never releases a
 * netfilter socket and never waits for the kernel to free deleted elements.
 */
import { KernelOpError, firstLine } from '../errors.js';
import type { Libc } from '../libc.js';
import type { NftOp, Op, SetElements } from '../plan.js';
import { dnsRunFile } from '../paths.js';
import { debugging, logWork, run } from '../runner.js';
import { type Answer, type Connection, connectServer, sendRequest } from './control-socket.js';
import { elementBatch } from './netlink/nftables.js';
import { NETLINK_NETFILTER, NetlinkFailure, RouteSocket, netlinkLibc } from './netlink/socket.js';
import { delimiter } from './sh.js';

const ENOENT = 2;

function nftMessage(stderr: string): string {
  const err = stderr.split('\n').find((l) => /Error:/.test(l));
  return (err ?? firstLine(stderr)).replace(/^\/dev\/stdin:[0-9:-]+\s*/, '');
}

function runScript(script: readonly string[]): string | undefined {
  const r = run('nft', ['-f', '-'], { input: script.join('\n') + '\n' });
  return r.code === 0 ? undefined : nftMessage(r.stderr);
}

/** The set-element changes of the ops, when that is all they do and the binary can send them itself. */
function elementsOnly(ops: readonly NftOp[]): { c: Libc; changes: SetElements[] } | undefined {
  if (ops.some((op) => op.elements === undefined)) return undefined;
  const c = netlinkLibc();
  return c ? { c, changes: ops.flatMap((op) => op.elements!) } : undefined;
}

/**
 * The process's one NETLINK_NETFILTER socket, in cnm's own namespace, never closed: closing it
 * waits for the kernel to free what the last batch deleted, an RCU grace period (nf_tables flushes
 * its destroy work when a netfilter socket is released: 6-19 ms here). Left open, that wait
 * overlaps the rest of the command and is over, or nearly, when the process exits.
 * Made only when the DNS server does not send for us.
 */
let filterSocket: RouteSocket | undefined;
/** Whether to ask the DNS server first: until it once could not (then this run sends its own batches). */
let viaServer = true;

/** A connection to the server made ahead of the batch it is for (connectAhead), and when. */
let ahead: { conn: Connection; at: number } | undefined;
/** How old a connection made ahead may be: well within the server's time for a whole request (1 s). */
const AHEAD_MS = 250;

/**
 * Connects to the DNS server now for the batch of these ops, sent later (the
 * next sendElements): the server accepts the connection and checks its peer
 * (the kernel's word on who it is, its namespaces, its capabilities: ~0.3 ms)
 * while this run does the work that must come before the batch, a namespace's
 * deletion before its guard elements go. Nothing is sent until then.
 */
export function connectAhead(ops: readonly NftOp[]): void {
  if (!viaServer || ahead) return;
  const nl = elementsOnly(ops);
  const conn = nl && connectServer(nl.c, dnsRunFile('ctl'));
  if (conn) ahead = { conn, at: performance.now() };
}

/** The request for the changes, on the connection made ahead when it is fresh, else on a new one. */
function ask(c: Libc, changes: readonly SetElements[]): ReturnType<typeof sendRequest> {
  const early = ahead;
  ahead = undefined;
  if (early && performance.now() - early.at <= AHEAD_MS) return early.conn.ask(changes);
  early?.conn.close();
  return sendRequest(c, dnsRunFile('ctl'), changes);
}

/** A batch's outcome: undefined when done, else the failure (errno and nft's words for it). */
type Outcome = { errno: number; message: string } | undefined;

/**
 * Sends the changes as one batch; the returned function gives the outcome.
 * The DNS server is asked first: then the outcome is its answer, read only
 * when the function is called, so what the caller does meanwhile overlaps
 * the server's work. When the server is not there, refuses, or does not
 * answer in time, the same batch goes on our own socket (at once when there
 * is no server to ask). Sending it twice would be harmless: adds are CREATE
 * without EXCL (an element already there is no error), and a delete of an
 * element already gone fails with ENOENT, which teardown answers by running
 * the script (re-add, then delete). The server does not send a request past
 * its deadline, so a retry here follows a batch that was not sent.
 */
function sendElements(c: Libc, changes: readonly SetElements[], script: () => readonly string[]): () => Outcome {
  const t0 = debugging() ? performance.now() : 0;
  const asked = viaServer ? ask(c, changes) : undefined;
  const outcome = (answer: Answer | undefined): Outcome => {
    let failed: Outcome;
    try {
      let errno: number | undefined;
      if (answer?.sent) errno = answer.errno === 0 ? undefined : answer.errno;
      else {
        viaServer = false; // this run sends its own batches from now on
        filterSocket ??= RouteSocket.open(c, undefined, NETLINK_NETFILTER);
        errno = filterSocket.failures(elementBatch(changes)).values().next().value?.errno;
      }
      if (errno !== undefined) failed = { errno, message: `Error: ${c.strerror(errno)}` };
    } catch (e) {
      if (!(e instanceof NetlinkFailure)) throw e;
      failed = { errno: 0, message: `Error: ${e.message}` };
    }
    if (debugging()) {
      const how = `${failed ? 'failed' : 'done'}${filterSocket ? '' : ', by the DNS server'}`;
      logWork(`+ netlink nft -f -  (${(performance.now() - t0).toFixed(1)} ms, ${how})`, script());
    }
    return failed;
  };
  if (!asked) {
    const now = outcome(undefined);
    return () => now;
  }
  return () => outcome(asked.answer());
}

/**
 * Applies the ops as one transaction in two steps: it is sent now; the returned
 * function reads its outcome (the DNS server's answer, when it sends the batch
 * for us), throws its failure, and only then records its undo.
 */
export function startApplyNft(ops: readonly NftOp[], undo: Op[], fail: boolean): () => void {
  const script = () => ops.flatMap((op) => op.script);
  const nl = fail ? undefined : elementsOnly(ops);
  let outcome: () => { failure?: KernelOpError };
  if (nl) {
    const sent = sendElements(nl.c, nl.changes, script);
    outcome = () => {
      const failed = sent();
      return failed ? { failure: new KernelOpError(['nft', '-f', '-'], 1, failed.message) } : {};
    };
  } else {
    const text = script();
    if (fail) text.push('delete table inet cnm-fault-injected');
    const r = run('nft', ['-f', '-'], { input: text.join('\n') + '\n' });
    const failure = r.code === 0 ? undefined : new KernelOpError(['nft', '-f', '-'], r.code, nftMessage(r.stderr));
    outcome = () => (failure ? { failure } : {});
  }
  return () => {
    const { failure } = outcome();
    if (failure) throw failure;
    // One transaction: undo is all of the inverse scripts, latest first. Its text is rendered only
    // when read (a rollback's fallback or its log): an endpoint guard's undo is a getter (guard.ts),
    // so undoElements is asked before undo.
    const inverse = [...ops].reverse();
    if (!inverse.some((op) => op.undoElements !== undefined || (op.undo?.length ?? 0) > 0)) return;
    const undoElements = inverse.every((op) => op.undoElements !== undefined || op.undo === undefined) ? inverse.flatMap((op) => op.undoElements ?? []) : undefined;
    let undoScript: string[] | undefined;
    undo.push({
      kind: 'nft',
      get script() {
        return (undoScript ??= inverse.flatMap((op) => op.undo ?? []));
      },
      ...(undoElements ? { elements: undoElements } : {}),
    });
  };
}

/**
 * Runs the scripts (teardown or rollback); returns the failure, if any. Over
 * netlink, a missing table or set fails the whole batch (ENOENT) where the
 * script would have declared it: then the script runs after all.
 */
export function teardownNft(ops: readonly NftOp[]): string | undefined {
  return startTeardownNft(ops)();
}

/**
 * teardownNft in two steps: the batch is sent now, and the returned function
 * gives the failure, if any, once the DNS server has answered (see sendElements).
 */
export function startTeardownNft(ops: readonly NftOp[]): () => string | undefined {
  // Rendered only when it runs or is logged: the elements go as they are.
  const script = () => ops.flatMap((o) => o.script);
  const nl = elementsOnly(ops);
  const problem = (msg: string | undefined) => (msg === undefined ? undefined : `nft: ${msg}`);
  if (!nl) {
    const now = problem(runScript(script()));
    return () => now;
  }
  const outcome = sendElements(nl.c, nl.changes, script);
  return () => {
    const failed = outcome();
    return failed && problem(failed.errno === ENOENT ? runScript(script()) : failed.message);
  };
}

/** All nft ops of the plan as one heredoc for `nft -f -`. */
export function nftShell(ops: readonly NftOp[]): string[] {
  const script = ops.flatMap((o) => o.script);
  const d = delimiter(script);
  return [`nft -f - <<'${d}'`, ...script, d];
}
