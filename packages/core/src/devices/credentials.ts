/** MQTT credentials issued to one device. The password exists only here and in the operator's hands. */
export interface IssuedCredential {
  readonly username: string;
  readonly password: string;
  /** The one topic the device may publish to, `voc/v1/{kind}/{id}/up`. */
  readonly topic: string;
}

/** Credentials by device id: the JSON written by `--credentials-out` and read by `voc replay --credentials`. */
export type CredentialsMap = Record<string, IssuedCredential>;
