"""Playback: a CloudFront distribution in front of the private output bucket, open only to signed requests.

- The bucket stays private (BlockPublicAccess on every setting). CloudFront reads it through origin access
  control: the bucket policy lets the CloudFront service read objects for this one distribution (its ARN in
  `AWS:SourceArn`), nothing else.
- Viewers must use HTTPS (the viewer protocol policy is HTTPS only: plain HTTP is refused, not redirected,
  so a signed query never crosses the network in clear text).
- Every request must carry a policy signed with a key of the distribution's key group, as a signed URL's
  query or as signed cookies (functions/core/playback.py: the Studio API signs one custom policy per asset,
  whose resource is the asset's whole folder). The public key comes from CDK context (`playback_public_key`);
  the private key lives in a Secrets Manager secret only the API function may read.
- A viewer-response CloudFront Function turns a signed URL's query into signed cookies scoped to the asset's
  folder, so a player (or a browser on the review page) given one signed URL keeps access for the relative
  URLs that follow (variant playlists, segments, subtitles, thumbnails), which carry no query.
"""
from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge
from infra.storage import Storage

# How long the API's signed policies last (the env var PLAYBACK_URL_SECONDS): a review session or a film.
PLAYBACK_URL_SECONDS = 4 * 3600

# The viewer-response function's source (cloudfront-js-2.0); tests run it under Node.
COOKIE_FUNCTION = Path(__file__).with_name("playback_cookies.js")


class Playback(Construct):
    """The distribution, its key group and public key, its access-log bucket, and the signing key's secret."""

    def __init__(self, scope: Construct, construct_id: str, *, storage: Storage, public_key_pem: str) -> None:
        super().__init__(scope, construct_id)
        self.public_key = cloudfront.PublicKey(
            self, "PublicKey", encoded_key=public_key_pem,
            comment="Reelflow playback: verifies the Studio API's signed URLs and cookies")
        self.key_group = cloudfront.KeyGroup(self, "KeyGroup", items=[self.public_key],
                                             comment="Keys trusted to sign Reelflow playback")
        # The private key half: the operator puts the PEM in (README, Playback); only the API reads it.
        self.signing_key = secretsmanager.Secret(
            self, "SigningKey", description="Reelflow playback: the RSA private key (PEM) matching the key group's "
                                            "public key; put it here with put-secret-value",
            removal_policy=RemovalPolicy.RETAIN)
        # CloudFront's standard logs are delivered with an ACL, so this bucket keeps ACLs (owner preferred).
        self.logs = s3.Bucket(
            self, "Logs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            removal_policy=RemovalPolicy.RETAIN,
            server_access_logs_bucket=storage.access_logs,
            server_access_logs_prefix="playback-logs/",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
        )
        cookies = cloudfront.Function(
            self, "SignedQueryToCookies", runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="A signed URL's policy becomes signed cookies for its asset's folder",
            code=cloudfront.FunctionCode.from_file(file_path=str(COOKIE_FUNCTION)))
        self.distribution = cloudfront.Distribution(
            self, "Distribution",
            comment="Reelflow playback of the output bucket (signed access only)",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(storage.output),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                trusted_key_groups=[self.key_group],
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                # hls.js in a studio's own page fetches playlists and segments cross-origin with the signed query.
                response_headers_policy=cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS,
                function_associations=[cloudfront.FunctionAssociation(
                    function=cookies, event_type=cloudfront.FunctionEventType.VIEWER_RESPONSE)],
            ),
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        CfnOutput(self, "PlaybackDomain", value=self.distribution.distribution_domain_name,
                  description="CloudFront domain serving signed playback of the outputs")
        CfnOutput(self, "SigningKeySecret", value=self.signing_key.secret_arn,
                  description="aws secretsmanager put-secret-value --secret-id <this> --secret-string "
                              "file://playback_private.pem")
        self._acknowledge()

    def grant_signing(self, fn: lambda_.Function, url_seconds: int = PLAYBACK_URL_SECONDS) -> None:
        """`fn` (the API) signs playback: it learns the distribution and key pair id, and may read the key."""
        fn.add_environment("PLAYBACK_DOMAIN", self.distribution.distribution_domain_name)
        fn.add_environment("PLAYBACK_KEY_PAIR_ID", self.public_key.public_key_id)
        fn.add_environment("PLAYBACK_KEY_SECRET", self.signing_key.secret_arn)
        fn.add_environment("PLAYBACK_URL_SECONDS", str(url_seconds))
        self.signing_key.grant_read(fn)

    def _acknowledge(self) -> None:
        acknowledge(self.signing_key, "AwsSolutions-SMG4",
                    "A CloudFront signing key cannot rotate by itself: a new key pair's public half must join the "
                    "key group first (README, Playback: rotating the key), so rotation is an operator's step.")
        acknowledge(self.distribution, "AwsSolutions-CFR1",
                    "Studios play their outputs from anywhere; every request must carry a policy signed for one "
                    "asset, so a country restriction would add nothing but a way to lock editors out.")
        acknowledge(self.distribution, "AwsSolutions-CFR2",
                    "Every request needs a signature CloudFront checks before the origin is reached; a WAF web ACL "
                    "is an account-level choice to attach per deployment.")
        acknowledge(self.distribution, "AwsSolutions-CFR4",
                    "The distribution uses the default *.cloudfront.net certificate, whose security policy "
                    "CloudFront fixes; a custom domain with its own certificate can require TLSv1.2_2021.")
