/**
 * The one DynamoDB table, exactly as `shared/store/table.ts` (`TABLE_SCHEMA`) and ARCHITECTURE.md describe it.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../shared/store/table';

/** Props of {@link Data}. */
export interface DataProps {
  /** Delete the table with the stack instead of retaining it. @default false */
  destroyData?: boolean;
}

/** The table: PK/SK, GSI1, GSI2, TTL, a NEW_IMAGE stream, PITR, KMS encryption, on-demand capacity. */
export class Data extends Construct {
  /** The table every function reads and writes. */
  readonly table: Table;

  constructor(scope: Construct, id: string, props: DataProps = {}) {
    super(scope, id);
    const s = TABLE_SCHEMA;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: s.partitionKey, type: AttributeType.STRING },
      sortKey: { name: s.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      stream: StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: s.ttlAttribute,
      deletionProtection: !props.destroyData,
      removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    for (const gsi of [s.gsi1, s.gsi2]) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
      });
    }
  }
}
