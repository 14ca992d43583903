import { Command, Option } from 'clipanion';
import { updateNetworkPeers } from '../../core/ops/network.js';
import { CnmCommand, dryRunOption } from '../base.js';

export class NetUpdateCommand extends CnmCommand {
  static override paths = [['net', 'update'], ['network', 'update']];

  static override usage = Command.Usage({
    category: 'Networks',
    description: 'Change the peers of a live overlay network',
    details: `
      Adds or removes peers (other hosts' underlay addresses) of an overlay network while its sandboxes keep running: each peer is one flooding entry on the network's VXLAN device, so broadcast and ARP reach that host from now on, or stop reaching it. All changes of one run apply together or not at all.

      Adding a peer that is already one is a conflict (exit 4); removing one that is not is exit 3.
    `,
    examples: [
      ['Add a third host to an overlay', '$0 net update ov --add-peer 198.51.100.3'],
      ['Replace one peer by another', '$0 net update ov --remove-peer 198.51.100.3 --add-peer 198.51.100.4'],
    ],
  });

  addPeer = Option.Array('--add-peer', [], { description: 'Underlay address of a host to add as a peer' });
  removePeer = Option.Array('--remove-peer', [], { description: 'Underlay address of a peer to drop' });
  dryRun = dryRunOption();
  name = Option.String({ name: 'NAME|ID' });

  async run() {
    const s = this.session(this.dryRun);
    const net = await updateNetworkPeers(s, this.name, this.addPeer, this.removePeer);
    if (!this.dryRun) this.out(net.id);
  }
}
