// Azure OpenAI (an AI Services or OpenAI account) with local (key) authentication disabled: the app
// calls it with an Entra token (Cognitive Services OpenAI User). One chat deployment that accepts image
// input and one image deployment, their model names, versions and capacities parameters.

@description('Account name; also its custom subdomain (required for Entra tokens).')
param name string

@description('Azure region (must offer both models).')
param location string

@description('Tags applied to the resources.')
param tags object = {}

@description('Account kind.')
@allowed([
  'AIServices'
  'OpenAI'
])
param kind string = 'AIServices'

@description('Chat deployment: { name, model, version, sku, capacity }.')
param chatDeployment object

@description('Image deployment: { name, model, version, sku, capacity }.')
param imageDeployment object

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: kind
  sku: {
    name: 'S0'
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource chat 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: chatDeployment.name
  sku: {
    name: chatDeployment.sku
    capacity: chatDeployment.capacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: chatDeployment.model
      version: chatDeployment.version
    }
  }
}

// Deployments on one account are created one after the other.
resource image 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: imageDeployment.name
  sku: {
    name: imageDeployment.sku
    capacity: imageDeployment.capacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: imageDeployment.model
      version: imageDeployment.version
    }
  }
  dependsOn: [
    chat
  ]
}

output name string = account.name
output id string = account.id
output endpoint string = 'https://${name}.openai.azure.com/'
output chatDeploymentName string = chat.name
output imageDeploymentName string = image.name
