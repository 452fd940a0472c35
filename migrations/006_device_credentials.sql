-- Device credentials checked by the gateway itself (the registry is their one source).
--   credential_hash: scrypt PHC string ("$scrypt$ln=14,r=8,p=1$salt$key") of the device's current
--     password; Mosquitto "$7$" PBKDF2 hashes of earlier releases still verify and are replaced by the
--     gateway on the device's next successful login.
--   previous_credential_hash / previous_credential_until: the password before a rotation
--     (`voc devices rotate`), accepted as well until that time or until `voc devices rotate --end`.
alter table devices add column if not exists previous_credential_hash text;
alter table devices add column if not exists previous_credential_until timestamptz;
comment on column devices.credential_hash is
  'scrypt (PHC "$scrypt$...") or legacy Mosquitto "$7$" hash of the device password; never the password';

-- Incremental directory refresh of the gateways: devices changed since a time.
create index if not exists devices_updated_at_idx on devices (updated_at);

-- The gateway upgrades a legacy hash after a successful login: it may change that column and no other.
grant update (credential_hash) on devices to voc_gateway;
