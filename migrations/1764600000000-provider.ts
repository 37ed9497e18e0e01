import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provider face towards partner services:
 * - `partners`: the registered OIDC clients (read by the provider, never
 *   written by it), their secret encrypted at rest or their public keys;
 * - `oidc_payloads`: everything oidc-provider stores (sessions,
 *   interactions, grants, codes, access tokens, replay detection…), with
 *   its expiry, shared by every instance;
 * - `provider_uses`: one row per sign-in of an aidant at a partner for a
 *   usager (the "account" oidc-provider refers to), naming the autorisation
 *   that was used, so every token can be checked against it when presented.
 */
export class Provider1764600000000 implements MigrationInterface {
  name = 'Provider1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE partners (
        id                           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name                         text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
        client_id                    text NOT NULL UNIQUE CHECK (client_id ~ '^[A-Za-z0-9._-]{8,100}$'),
        token_endpoint_auth_method   text NOT NULL
                                       CHECK (token_endpoint_auth_method IN ('client_secret_post', 'client_secret_basic', 'private_key_jwt')),
        secret_sealed                text,
        jwks                         jsonb,
        redirect_uris                text[] NOT NULL CHECK (cardinality(redirect_uris) >= 1),
        post_logout_redirect_uris    text[] NOT NULL DEFAULT '{}',
        demarches                    text[] NOT NULL CHECK (cardinality(demarches) >= 1),
        id_token_signed_response_alg text NOT NULL DEFAULT 'ES256' CHECK (id_token_signed_response_alg IN ('ES256', 'RS256')),
        userinfo_signed_response_alg text CHECK (userinfo_signed_response_alg IN ('ES256', 'RS256')),
        active                       boolean NOT NULL DEFAULT true,
        created_at                   timestamptz NOT NULL DEFAULT now(),
        updated_at                   timestamptz NOT NULL DEFAULT now(),
        CHECK ((token_endpoint_auth_method = 'private_key_jwt') = (jwks IS NOT NULL)),
        CHECK ((token_endpoint_auth_method = 'private_key_jwt') = (secret_sealed IS NULL))
      )
    `);
    await queryRunner.query(`
      COMMENT ON COLUMN partners.secret_sealed IS
        'Client secret encrypted with KEYS_ENCRYPTION_KEY (oidc-provider compares it itself); never logged'
    `);
    await queryRunner.query(`
      CREATE TABLE oidc_payloads (
        model       text NOT NULL,
        id          text NOT NULL,
        payload     jsonb NOT NULL,
        grant_id    text,
        uid         text,
        expires_at  timestamptz,
        consumed_at timestamptz,
        PRIMARY KEY (model, id)
      )
    `);
    await queryRunner.query(`CREATE INDEX oidc_payloads_grant_idx ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX oidc_payloads_uid_idx ON oidc_payloads (uid) WHERE uid IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX oidc_payloads_expiry_idx ON oidc_payloads (expires_at)`);
    await queryRunner.query(`
      CREATE TABLE provider_uses (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        partner_id   uuid NOT NULL REFERENCES partners (id),
        aidant_id    uuid NOT NULL,
        structure_id uuid NOT NULL,
        usager_id    uuid NOT NULL,
        mandate_id   uuid NOT NULL,
        demarche     text NOT NULL,
        rep_scope    text[] NOT NULL DEFAULT '{}',
        created_at   timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`CREATE INDEX provider_uses_mandate_idx ON provider_uses (mandate_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE provider_uses`);
    await queryRunner.query(`DROP TABLE oidc_payloads`);
    await queryRunner.query(`DROP TABLE partners`);
  }
}
