// Azure Speech with local (key) authentication disabled. The custom subdomain is what makes Entra
// tokens work: the app exchanges its token at SPEECH_ENDPOINT/sts/v1.0/issueToken (Cognitive Services
// Speech User) and hands the browser a short-lived Speech token.

@description('Account name; also its custom subdomain.')
param name string

@description('Azure region (SPEECH_REGION).')
param location string

@description('Tags applied to the resource.')
param tags object = {}

@description('Pricing tier (F0: free, one per subscription).')
@allowed([
  'F0'
  'S0'
])
param skuName string = 'S0'

resource speech 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'SpeechServices'
  sku: {
    name: skuName
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

output name string = speech.name
output id string = speech.id
output endpoint string = speech.properties.endpoint
output region string = speech.location
