"""The messaging gateways (NHN Cloud, Solapi) emulated in-process."""
