import { describe, expect, it } from '@jest/globals';
import { withoutAddresses } from '../../src/mail/without-addresses.ts';

describe('a delivery failure as it is kept', () => {
  it('keeps what the relay answered and none of the addresses it named, however they are quoted', () => {
    expect(withoutAddresses("Can't send mail - all recipients were rejected: 550 5.1.1 <bob@example.com>: Recipient address rejected")).toBe(
      "Can't send mail - all recipients were rejected: 550 5.1.1 <[address]>: Recipient address rejected",
    );
    expect(withoutAddresses("550 5.1.1 o'brien+tag@mail.example.com... User unknown")).toBe('550 5.1.1 [address] User unknown');
    // Rather too much than too little: the word an address is glued to goes with it.
    expect(withoutAddresses("550 'jane@example.com': no such user; to=jane.doe@example.com")).toBe("550 [address]': no such user; [address]");
    expect(withoutAddresses('connect ECONNREFUSED 127.0.0.1:25')).toBe('connect ECONNREFUSED 127.0.0.1:25');
  });
});
