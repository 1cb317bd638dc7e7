import { expect } from 'chai';
import { demoConsumerConf, demoProducerConf } from '../../../lib/cli/demo/demo-config';

describe('cli/demo/demo-config', () => {
  const names = { streamName: 'reactive-kinesis-demo-x', tableName: 'reactive-kinesis-demo-x-leases' };

  it('gives each worker its id, the shared lease table and the failover time, from TRIM_HORIZON', () => {
    const conf = demoConsumerConf(names, 'w2', 1500);
    expect(conf).to.deep.include({ streamName: names.streamName, leaseTableName: names.tableName, workerId: 'w2', initialPosition: { type: 'TRIM_HORIZON' } });
    expect(conf.leases.failoverTimeMillis).to.equal(1500);
    expect(conf.checkpointer.intervalMillis).to.equal(1000);
  });

  it('produces to the same stream with aggregation on', () => {
    const conf = demoProducerConf(names);
    expect(conf.streamName).to.equal(names.streamName);
    expect(conf.aggregation.enabled).to.equal(true);
  });
});
