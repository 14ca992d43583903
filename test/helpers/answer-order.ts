/**
 * When a run read the DNS server's answer for its nft batch, from an strace of
 * it (`-e trace=connect,recvfrom,setns`): the line where it asked (its connect
 * to dns.ctl), the line of the answer (the 8-byte reply), and the first setns
 * after it asked (its first work inside a namespace). -1 where there is none.
 */
export interface AnswerOrder {
  asked: number;
  answered: number;
  inside: number;
}

export function answerOrder(strace: string): AnswerOrder {
  const calls = strace.split('\n');
  const asked = calls.findIndex((l) => /connect\(\d+, \{sa_family=AF_UNIX, sun_path="\/run\/cnm\/dns\.ctl"\}/.test(l));
  const answered = calls.findIndex((l) => /recvfrom\(\d+, "\\0\\0\\0\\0\\0\\0\\0\\0", 8/.test(l));
  const inside = calls.findIndex((l, i) => i > asked && /^setns\(/.test(l));
  return { asked, answered, inside };
}
