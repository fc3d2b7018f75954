// Azure Database for PostgreSQL Flexible Server, Entra-only: password authentication is disabled, the
// app's managed identity (and optionally the deployer) are Entra administrators, so the app signs in
// with a token (shared/core/credentials.py postgres_token_provider) as POSTGRES_USER = the identity's name.
// pgvector and pg_trgm are allow-listed; the first migration creates them.

@description('Server name (globally unique).')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the resources.')
param tags object = {}

@description('Compute SKU.')
param skuName string = 'Standard_B1ms'

@description('Compute tier.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string = 'Burstable'

@description('PostgreSQL major version.')
param version string = '16'

@description('Storage size in GB.')
param storageSizeGB int = 32

@description('The application database (POSTGRES_DATABASE).')
param databaseName string

@description('Entra administrators: [{ principalId, principalName, principalType }].')
param administrators array

@description('Allow connections from Azure services (the Flex Consumption app has no fixed outbound IP).')
param allowAzureServices bool = true

@description('One client IP allowed through the firewall (the operator running the reference ingest); empty for none.')
param clientIpAddress string = ''

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource extensions 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'azure.extensions'
  properties: {
    value: 'VECTOR,PG_TRGM'
    source: 'user-override'
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [
    extensions
  ]
}

resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (allowAzureServices) {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
  dependsOn: [
    database
  ]
}

resource allowClient 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (!empty(clientIpAddress)) {
  parent: server
  name: 'AllowOperatorClient'
  properties: {
    startIpAddress: clientIpAddress
    endIpAddress: clientIpAddress
  }
  dependsOn: [
    allowAzure
  ]
}

// One server operation at a time: administrators are added after the configuration and rules.
@batchSize(1)
resource entraAdmins 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = [
  for admin in administrators: {
    parent: server
    name: admin.principalId
    properties: {
      principalName: admin.principalName
      principalType: admin.principalType
      tenantId: tenant().tenantId
    }
    dependsOn: [
      database
      allowAzure
      allowClient
    ]
  }
]

output name string = server.name
output host string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
