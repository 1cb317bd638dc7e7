/**
 * Stream consumer ARNs, as Kinesis issues them:
 * `arn:<partition>:kinesis:<region>:<account>:stream/<stream>/consumer/<consumer>:<creation>`.
 * @packageDocumentation
 */

const CONSUMER_ARN = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/([^/]+)\/consumer\//;

/**
 * The stream a consumer ARN belongs to, for the `streamName` of errors about a subscription (which
 * names only the consumer); empty when the ARN is not one Kinesis issues.
 * @internal
 */
export function streamNameOfConsumerArn(consumerArn: string): string {
  return CONSUMER_ARN.exec(consumerArn)?.[1] ?? '';
}
